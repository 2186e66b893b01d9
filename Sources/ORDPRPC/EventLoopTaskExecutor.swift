public import NIOCore

/// Runs Swift tasks on a NIO event loop. Server handlers prefer their connection's loop, and
/// callers that prefer a client connection's loop (`Task(executorPreference:)`) make calls
/// without any thread hop: the request is written and the response resumed on that thread.
public final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
  public let eventLoop: any EventLoop

  public init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

  public func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    eventLoop.execute {
      job.runSynchronously(on: self.asUnownedTaskExecutor())
    }
  }
}
