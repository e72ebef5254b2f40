"""Network in Network on Fashion-MNIST: model, data, preprocessing, training, evaluation, inference."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of CLI output
