public import NIOCore

/// The deadline of the server call the current task is handling, so that calls a handler
/// makes to other services pass on the remaining time and never more.
public enum RPCDeadline {
  @TaskLocal public static var current: NIODeadline?
}
