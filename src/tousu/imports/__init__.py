"""CSV and XLSX import of complaints from earlier systems."""
