// The Quantization module; see shared/STYLE.md for what it holds.
