"""Documents the office prints and files: one HTML body, rendered by a Django template,
becomes a PDF (``pdf.html_pdf``) and a Word document (``docx.html_docx``); charts in them
are PNG images drawn on the server (``charts``). All three use the CJK font the project
installs through npm (``@embedpdf/fonts-sc``: Noto Sans Hans, OFL), never a system font, so
Chinese renders the same on a fresh machine."""
