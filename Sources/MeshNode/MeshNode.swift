// MeshNode — see README.md#architecture
