"""GANime Studio's Qt layer (PySide6): the window, canvas, panes, workers. Only here is Qt imported."""
