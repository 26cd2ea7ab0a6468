"""A small 3D CNN trained with numpy alone, on synthetic clips where only motion tells the class.

The task: a smooth random colour texture slides across a 24x24 window for 16 frames, in one of four
directions at one of two speeds (8 classes; speeds and directions vary around the class's). Texture, colours, brightness and noise are drawn anew for
every clip and are the same for all classes, so no single frame says anything about the label: the
network has to compare frames.

The network (channels-last inside this file; exported as NCDHW ONNX):

    clip (raw pixels 0..255) -> x/64 - 2
    stem  conv 3x3x3 stride (1,2,2), 3->16, BN, ReLU          R3D-style RGB stem (C = 3)
    a.s   conv 1x3x3 stride (1,2,2), 16->32, BN, ReLU         (2+1)D block, spatial then temporal
    a.t   conv 3x1x1 stride (2,1,1), 32->32, BN, ReLU
    b.s   conv 1x3x3, 32->32, BN, ReLU                        residual (2+1)D block
    b.t   conv 3x1x1, 32->32, BN, + a.t output, ReLU
    3D global average pool, Gemm 32 -> 8

Everything is deterministic for a given seed.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

T, H, W = 16, 24, 24
CLASSES = 8
DIRECTIONS = [(0, 1), (0, -1), (1, 0), (-1, 0)]  # (dy, dx): right, left, down, up
SPEEDS = [1, 2]  # pixels per frame


def class_name(label):
    (dy, dx), speed = DIRECTIONS[label % 4], SPEEDS[label // 4]
    word = {(0, 1): "right", (0, -1): "left", (1, 0): "down", (-1, 0): "up"}[(dy, dx)]
    return f"{word}-{speed}px"


def _texture(rng, size):
    """A smooth periodic colour texture, size x size, values roughly in [0, 1]."""
    freq = np.fft.fftfreq(size)
    radius = np.sqrt(freq[:, None] ** 2 + freq[None, :] ** 2)
    cutoff = rng.uniform(0.06, 0.14)
    envelope = np.exp(-(radius / cutoff) ** 2)
    channels = []
    base = np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal((size, size))) * envelope))
    for _ in range(3):
        own = np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal((size, size))) * envelope))
        mix = rng.uniform(0.3, 0.8)
        channels.append(mix * base + (1 - mix) * own)
    tex = np.stack(channels)
    tex = (tex - tex.mean()) / (tex.std() + 1e-6)
    return tex


def make_clips(n, rng):
    """n clips as uint8 [n, 3, T, H, W] (raw pixels) and int64 labels [n].

    Each clip's speed is drawn around its class's nominal speed (0.75-1.35 or 1.55-2.3 px/frame) and
    its direction within 25 degrees of its class's; clips near the speed boundary are hard, so held-out
    accuracy stays below 100% and top-1 agreement between float and int8 measures something. Sub-pixel motion is rendered exactly by shifting the periodic
    texture's phase.
    """
    labels = rng.integers(0, CLASSES, n)
    clips = np.empty((n, 3, T, H, W), dtype=np.uint8)
    size = 64
    freq = np.fft.fftfreq(size)
    t = np.arange(T, dtype=np.float64)
    for i, label in enumerate(labels):
        (dy, dx), nominal = DIRECTIONS[label % 4], SPEEDS[label // 4]
        speed = rng.uniform(0.75, 1.35) if nominal == 1 else rng.uniform(1.55, 2.3)
        angle = np.arctan2(dy, dx) + rng.uniform(-1, 1) * np.deg2rad(25)
        vy, vx = speed * np.sin(angle), speed * np.cos(angle)
        spectrum = np.fft.fft2(_texture(rng, size))
        y0, x0 = rng.uniform(0, size, 2)
        sy, sx = y0 + vy * t, x0 + vx * t  # the texture point at the window's corner, per frame
        phase = np.exp(2j * np.pi * (sy[:, None, None] * freq[None, :, None] + sx[:, None, None] * freq[None, None, :]))
        frames = np.real(np.fft.ifft2(spectrum[:, None] * phase[None]))[:, :, :H, :W]
        contrast = rng.uniform(18, 40)
        brightness = rng.uniform(100, 155, size=(3, 1, 1, 1))
        clip = frames * contrast + brightness + rng.normal(0, 12.0, frames.shape)
        clips[i] = np.clip(np.rint(clip), 0, 255).astype(np.uint8)
    return clips, labels.astype(np.int64)


# ---------------------------------------------------------------------------------------------------
# Layers (channels-last activations [N, D, H, W, C]; conv weights [kd, kh, kw, C, K])

class Conv:
    def __init__(self, rng, cin, cout, kernel, stride, pad):
        self.k, self.s, self.p = kernel, stride, pad
        fan_in = cin * np.prod(kernel)
        self.w = (rng.standard_normal((*kernel, cin, cout)) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    def forward(self, x):
        (pd, ph, pw), (sd, sh, sw), (kd, kh, kw) = self.p, self.s, self.k
        xp = np.pad(x, ((0, 0), (pd, pd), (ph, ph), (pw, pw), (0, 0)))
        win = sliding_window_view(xp, (kd, kh, kw), axis=(1, 2, 3))[:, ::sd, ::sh, ::sw]
        n, do, ho, wo, c = win.shape[:5]
        col = win.transpose(0, 1, 2, 3, 5, 6, 7, 4).reshape(n * do * ho * wo, kd * kh * kw * c)
        self.cache = (x.shape, xp.shape, col, (n, do, ho, wo))
        return (col @ self.w.reshape(-1, self.w.shape[-1])).reshape(n, do, ho, wo, -1)

    def backward(self, dy, need_dx=True):
        xshape, xpshape, col, (n, do, ho, wo) = self.cache
        (pd, ph, pw), (sd, sh, sw), (kd, kh, kw) = self.p, self.s, self.k
        d2 = dy.reshape(-1, dy.shape[-1])
        self.dw = (col.T @ d2).reshape(self.w.shape)
        if not need_dx:
            return None
        dcol = (d2 @ self.w.reshape(-1, self.w.shape[-1]).T).reshape(n, do, ho, wo, kd, kh, kw, -1)
        dxp = np.zeros(xpshape, dtype=np.float32)
        for a in range(kd):
            for b in range(kh):
                for c in range(kw):
                    dxp[:, a:a + sd * do:sd, b:b + sh * ho:sh, c:c + sw * wo:sw] += dcol[:, :, :, :, a, b, c]
        return dxp[:, pd:pd + xshape[1], ph:ph + xshape[2], pw:pw + xshape[3]]

    def params(self):
        return [("w", self)]


class BatchNorm:
    def __init__(self, c, momentum=0.1, eps=1e-5):
        self.gamma = np.ones(c, np.float32)
        self.beta = np.zeros(c, np.float32)
        self.mean = np.zeros(c, np.float32)
        self.var = np.ones(c, np.float32)
        self.momentum, self.eps = momentum, eps

    def forward(self, x, train):
        if train:
            axes = (0, 1, 2, 3)
            mu = x.mean(axis=axes)
            var = x.var(axis=axes)
            m = x.size // x.shape[-1]
            self.mean = (1 - self.momentum) * self.mean + self.momentum * mu
            self.var = (1 - self.momentum) * self.var + self.momentum * var * m / max(m - 1, 1)
        else:
            mu, var = self.mean, self.var
        inv = 1.0 / np.sqrt(var + self.eps)
        xhat = (x - mu) * inv
        self.cache = (xhat, inv)
        return (xhat * self.gamma + self.beta).astype(np.float32)

    def backward(self, dy):
        xhat, inv = self.cache
        axes = (0, 1, 2, 3)
        m = dy.size // dy.shape[-1]
        self.dgamma = (dy * xhat).sum(axis=axes)
        self.dbeta = dy.sum(axis=axes)
        dxhat = dy * self.gamma
        return (inv / m * (m * dxhat - dxhat.sum(axis=axes) - xhat * (dxhat * xhat).sum(axis=axes))).astype(np.float32)


class Net:
    """stem, (2+1)D block a, residual (2+1)D block b, global average pool, linear."""

    def __init__(self, seed):
        rng = np.random.default_rng(seed)
        self.convs = {
            "stem": Conv(rng, 3, 16, (3, 3, 3), (1, 2, 2), (1, 1, 1)),
            "a_s": Conv(rng, 16, 32, (1, 3, 3), (1, 2, 2), (0, 1, 1)),
            "a_t": Conv(rng, 32, 32, (3, 1, 1), (2, 1, 1), (1, 0, 0)),
            "b_s": Conv(rng, 32, 32, (1, 3, 3), (1, 1, 1), (0, 1, 1)),
            "b_t": Conv(rng, 32, 32, (3, 1, 1), (1, 1, 1), (1, 0, 0)),
        }
        self.bns = {name: BatchNorm(conv.w.shape[-1]) for name, conv in self.convs.items()}
        self.fc_w = (rng.standard_normal((32, CLASSES)) * np.sqrt(1.0 / 32)).astype(np.float32)
        self.fc_b = np.zeros(CLASSES, np.float32)

    @staticmethod
    def normalize(clips):
        """uint8 [N, 3, T, H, W] -> float channels-last, as the exported graph's Mul and Add do."""
        return (clips.astype(np.float32) * (1 / 64) - 2.0).transpose(0, 2, 3, 4, 1)

    def forward(self, clips, train=False):
        x = self.normalize(clips)
        relus = {}

        def unit(name, x, residual=None):
            y = self.bns[name].forward(self.convs[name].forward(x), train)
            if residual is not None:
                y = y + residual
            relus[name] = y > 0
            return np.maximum(y, 0)

        x = unit("stem", x)
        x = unit("a_s", x)
        skip = unit("a_t", x)
        x = unit("b_s", skip)
        x = unit("b_t", x, residual=skip)
        self.cache = (relus, x.shape)
        pooled = x.mean(axis=(1, 2, 3))
        self.pooled = pooled
        return pooled @ self.fc_w + self.fc_b

    def backward(self, dlogits):
        relus, shape = self.cache
        self.dfc_w = self.pooled.T @ dlogits
        self.dfc_b = dlogits.sum(axis=0)
        dpooled = dlogits @ self.fc_w.T
        count = shape[1] * shape[2] * shape[3]
        dx = np.broadcast_to(dpooled[:, None, None, None, :] / count, shape).astype(np.float32)

        def unit_back(name, dy, need_dx=True):
            dy = dy * relus[name]
            dres = dy
            dy = self.bns[name].backward(dy)
            return self.convs[name].backward(dy, need_dx), dres

        dx, dres = unit_back("b_t", dx)
        dx, _ = unit_back("b_s", dx)
        dx = dx + dres
        dx, _ = unit_back("a_t", dx)
        dx, _ = unit_back("a_s", dx)
        unit_back("stem", dx, need_dx=False)

    def parameters(self):
        """(array, gradient getter, setter) for every trainable array."""
        out = []
        for name in self.convs:
            conv, bn = self.convs[name], self.bns[name]
            out.append((f"{name}.w", lambda c=conv: c.w, lambda c=conv: c.dw, lambda v, c=conv: setattr(c, "w", v)))
            out.append((f"{name}.gamma", lambda b=bn: b.gamma, lambda b=bn: b.dgamma, lambda v, b=bn: setattr(b, "gamma", v)))
            out.append((f"{name}.beta", lambda b=bn: b.beta, lambda b=bn: b.dbeta, lambda v, b=bn: setattr(b, "beta", v)))
        out.append(("fc.w", lambda: self.fc_w, lambda: self.dfc_w, lambda v: setattr(self, "fc_w", v)))
        out.append(("fc.b", lambda: self.fc_b, lambda: self.dfc_b, lambda v: setattr(self, "fc_b", v)))
        return out


def softmax_cross_entropy(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(labels)), labels] + 1e-12).mean()
    grad = p.copy()
    grad[np.arange(len(labels)), labels] -= 1
    return loss, (grad / len(labels)).astype(np.float32)


def train(seed, steps, batch, log, lr=3e-3, weight_decay=1e-4):
    """Adam with cosine decay, on clips generated afresh for every batch."""
    rng = np.random.default_rng(seed + 1)
    net = Net(seed)
    params = net.parameters()
    m = {name: np.zeros_like(get()) for name, get, _, _ in params}
    v = {name: np.zeros_like(get()) for name, get, _, _ in params}
    b1, b2 = 0.9, 0.999
    for step in range(1, steps + 1):
        clips, labels = make_clips(batch, rng)
        logits = net.forward(clips, train=True)
        loss, grad = softmax_cross_entropy(logits, labels)
        net.backward(grad)
        rate = lr * 0.5 * (1 + np.cos(np.pi * (step - 1) / steps))
        for name, get, dget, put in params:
            g = dget() + (weight_decay * get() if name.endswith(".w") else 0)
            m[name] = b1 * m[name] + (1 - b1) * g
            v[name] = b2 * v[name] + (1 - b2) * g * g
            mhat = m[name] / (1 - b1 ** step)
            vhat = v[name] / (1 - b2 ** step)
            put((get() - rate * mhat / (np.sqrt(vhat) + 1e-8)).astype(np.float32))
        if step % 20 == 0 or step == 1:
            acc = (logits.argmax(axis=1) == labels).mean()
            log(f"step {step:4d}/{steps}  loss {loss:.3f}  batch accuracy {acc:.2f}")
    return net
