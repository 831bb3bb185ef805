"""Product catalogues: import and export, the LanceDB product index, and product search."""
