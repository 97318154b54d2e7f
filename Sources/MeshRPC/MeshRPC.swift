// MeshRPC — see README.md#architecture
