print("logtorture")
