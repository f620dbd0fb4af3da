# A small Sphinx project whose pages hold derivations: `sphinx-build -b html . _build/html` (or `-b latex`, then
# pdflatex) in this folder, with symrnn and sphinx installed. The one line symrnn needs is the extension below.
project = "Backpropagation through time, derived by symrnn"
extensions = ["symrnn.sphinx"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
latex_documents = [("index", "derivations.tex", project, "symrnn", "howto")]
