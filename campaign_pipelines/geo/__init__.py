"""District geometry: layers from public files, and voters placed in them."""
