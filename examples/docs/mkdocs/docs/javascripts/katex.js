// Typeset arithmatex's math with KaTeX (default settings) once the page has loaded: MkDocs Material's documented
// setup, for the plain theme.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".arithmatex").forEach(function (element) {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
    });
  });
});
