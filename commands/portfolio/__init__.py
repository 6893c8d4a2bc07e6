"""Many agreements at once: the portfolio summary and `import` of a directory of files."""
