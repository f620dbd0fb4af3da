"""symrnn's Jinja templates. Copy one into a folder of your own and pass --template-dir to use yours."""
