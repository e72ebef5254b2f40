"""Training: the seed's and the modern recipe on Fashion-MNIST, and the fine-tune on the world."""
