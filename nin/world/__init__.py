"""Learning from the world: real photos, icons redrawn by hand, and "none of the ten" (outliers).

sources (what, with which label and split), icons (reading and rendering npm icon sets),
handdrawn (an icon as a 20-second doodle), cache (everything through the app's pipeline once),
finetune (the mixed fine-tune with Outlier Exposure and its table), sheet (a contact sheet).
"""
