import NIOCore

/// Runs Swift tasks on a NIO event loop, so a handler that prefers it runs on the same thread
/// as its connection: no hop between the loop and the cooperative pool per call.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
  let eventLoop: any EventLoop

  init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    eventLoop.execute {
      job.runSynchronously(on: self.asUnownedTaskExecutor())
    }
  }
}
