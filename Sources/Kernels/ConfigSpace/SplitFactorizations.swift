/// Ordered factorizations of a positive integer: the candidate values of a split knob.
///
/// An ordered factorization of `n` into `k` parts is a tuple `(f0, …, fk-1)` of positive integers with
/// `f0 · … · fk-1 == n`. Their number is the product, over the prime powers `p^e` of `n`, of the ways to
/// spread `e` among `k` parts, `C(e + k - 1, k - 1)`: 56 = 2^3 · 7 has C(6,3) · C(4,3) = 80 four-way
/// splits.
public enum SplitFactorizations {
    /// All ordered factorizations of `extent` into `parts` factors, in lexicographic order of the
    /// factors (outermost first). Empty when `extent` or `parts` is below 1.
    public static func all(of extent: Int, parts: Int) -> [[Int]] {
        guard extent >= 1, parts >= 1 else { return [] }
        var result: [[Int]] = []
        var current: [Int] = []
        func extend(_ remaining: Int, _ left: Int) {
            if left == 1 {
                result.append(current + [remaining])
                return
            }
            for d in divisors(of: remaining) {
                current.append(d)
                extend(remaining / d, left - 1)
                current.removeLast()
            }
        }
        extend(extent, parts)
        return result
    }

    /// The number of ordered factorizations of `extent` into `parts` factors, from its prime powers.
    public static func count(of extent: Int, parts: Int) -> Int {
        guard extent >= 1, parts >= 1 else { return 0 }
        var total = 1
        for (_, exponent) in primePowers(of: extent) {
            total *= binomial(exponent + parts - 1, parts - 1)
        }
        return total
    }

    /// Divisors of `n` (at least 1) in increasing order.
    public static func divisors(of n: Int) -> [Int] {
        guard n >= 1 else { return [] }
        var small: [Int] = []
        var large: [Int] = []
        var d = 1
        while d * d <= n {
            if n % d == 0 {
                small.append(d)
                if d * d != n { large.append(n / d) }
            }
            d += 1
        }
        return small + large.reversed()
    }

    /// `(prime, exponent)` pairs of `n`'s factorization, smallest prime first.
    static func primePowers(of n: Int) -> [(Int, Int)] {
        var result: [(Int, Int)] = []
        var rest = n
        var p = 2
        while p * p <= rest {
            var e = 0
            while rest % p == 0 {
                rest /= p
                e += 1
            }
            if e > 0 { result.append((p, e)) }
            p += 1
        }
        if rest > 1 { result.append((rest, 1)) }
        return result
    }

    static func binomial(_ n: Int, _ k: Int) -> Int {
        guard k >= 0, k <= n else { return 0 }
        var result = 1
        for i in 0..<min(k, n - k) { result = result * (n - i) / (i + 1) }
        return result
    }
}
