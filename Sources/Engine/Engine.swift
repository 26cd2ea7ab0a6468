// The Engine module; see shared/STYLE.md for what it holds.
