"""What a person gives becomes a 28x28 image: the one preprocessing pipeline and the imitations made through it."""
