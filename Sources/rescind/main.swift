print("rescind")
