print("meshprobe")
