// MeshLog — see README.md#architecture
