// MeshResilience — see README.md#architecture
