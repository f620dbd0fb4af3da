"""The built-in models as model files: `symrnn models --show NAME` prints one; copy it to start your own."""
