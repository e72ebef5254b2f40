"""What the Gradio page does on each event: the Draw/Upload/Model tabs, the inside view, both languages."""
