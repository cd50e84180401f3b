"""The analysis report (客诉分析报告): a period's figures (``figures``), written as one HTML
body that becomes a Word document and a PDF (``document``), made by ``tousu report`` or
in the background from a page (``runner``, ``views``)."""
