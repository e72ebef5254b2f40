"""The network and what it stands on: architecture table, Keras model, weights files, Fashion-MNIST, machine facts."""
