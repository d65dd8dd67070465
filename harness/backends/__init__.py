"""Backends turn a validated rule into one target language. Registry: name -> backend class."""
