// Where the engines listen when systemd starts them (docker.socket, podman.socket).
export const DEFAULT_ENGINE_SOCKETS: readonly string[] = ['/run/docker.sock', '/run/podman/podman.sock'];
