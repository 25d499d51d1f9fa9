/** The parts of libpod's answers podman-debugd reads. Podman sends more; we ignore the rest. */

export type ContainerStatus =
  | 'created'
  | 'running'
  | 'paused'
  | 'stopped'
  | 'exited'
  | 'stopping'
  | 'removing'
  | 'configured'
  | 'initialized'
  | 'unknown'
  | string;

export interface ContainerInspect {
  Id: string;
  Name: string;
  ImageName?: string;
  Image?: string;
  Pod?: string;
  State: { Status: ContainerStatus; Running: boolean; Paused: boolean; Pid: number };
  Config: { Labels?: Record<string, string> | null };
}

export interface ContainerListEntry {
  Id: string;
  Names: string[];
  Image: string;
  State: ContainerStatus;
  Pod?: string;
  PodName?: string;
  IsInfra?: boolean;
  Labels?: Record<string, string> | null;
}

export interface Namespace {
  nsmode: 'container';
  value: string;
}

/** The subset of libpod's SpecGenerator we send when creating a sidecar. */
export interface SidecarSpec {
  name: string;
  image: string;
  pidns: Namespace;
  netns: Namespace;
  pod?: string;
  labels: Record<string, string>;
  remove: boolean;
  timeout: number;
  entrypoint: string[];
  command: string[];
  stop_timeout?: number;
  cap_add?: string[];
  cap_drop?: string[];
  privileged?: boolean;
  no_new_privileges?: boolean;
  user?: string;
}

export interface ExecInspect {
  ExitCode: number;
  Running: boolean;
  Pid: number;
}

export interface PodmanVersion {
  apiVersion: string;
  server: string;
}
