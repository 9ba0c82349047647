"""GANime Studio."""
