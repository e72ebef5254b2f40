"""Making a weights file shippable: LiteRT export, calibration and garment check, the model card, the default."""
