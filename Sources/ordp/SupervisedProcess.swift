import Foundation
import Logging
import ORDPServiceKit
import Synchronization

/// A service executable that `ordp dev up` runs: started, restarted with back-off when it
/// crashes (killed by a signal or a non-zero exit status; on the port it had, so that the
/// others still find it), stopped with SIGTERM. A clean exit (status 0: it was asked to stop,
/// e.g. by the terminal's Ctrl-C, which reaches every process of the group) is not restarted,
/// like systemd's `Restart=on-failure`. Its standard error is the platform's; its standard
/// output gives the port.
actor SupervisedProcess {
  let name: String
  let executable: URL
  /// The arguments for a start on `port`.
  let arguments: @Sendable (Int) -> [String]
  let logger: Logger
  private var port: Int
  private var running: Launch?
  private var stopping = false
  private var backoff = RestartBackoff()

  /// A started process and what it reports.
  private struct Launch {
    let process: Process
    /// How it ended ("exited with status 1", "was killed by signal 9") and whether cleanly
    /// (status 0), once.
    let exits: AsyncStream<(how: String, clean: Bool)>
    let startedAt: ContinuousClock.Instant
  }

  init(
    name: String, executable: URL, port: Int, logger: Logger,
    arguments: @escaping @Sendable (Int) -> [String]
  ) {
    self.name = name
    self.executable = executable
    self.port = port
    self.logger = logger
    self.arguments = arguments
  }

  /// Starts the process and returns the port it listens on once it says so.
  func start() async throws -> Int {
    let (launch, port) = try await Self.launch(executable, arguments(port), name: name)
    if stopping {
      // `stop` came while this start waited for the port: it found nothing to stop.
      running = launch
      await stop()
      throw DevUpError("\(name) was stopped while it started")
    }
    running = launch
    self.port = port
    return port
  }

  /// Watches the process until `stop`: whenever it exits, logs it and starts it again after
  /// the back-off.
  func supervise() async {
    while !stopping, let launch = running {
      var ending = (how: "ended", clean: false)
      for await how in launch.exits { ending = how }
      running = nil
      if stopping { return }
      if ending.clean {
        logger.notice("\(name) \(ending.how) (asked to stop); not restarted")
        return
      }
      var delay = backoff.exited(after: launch.startedAt.duration(to: .now))
      logger.error("\(name) \(ending.how); restarting in \(delay)")
      while !stopping, running == nil {
        try? await Task.sleep(for: delay)
        if stopping { return }
        do {
          _ = try await start()
          logger.notice("\(name) restarted on port \(port)")
        } catch {
          if stopping { return }
          delay = backoff.exited(after: .zero)
          logger.error("\(name) did not start: \(error); next try in \(delay)")
        }
      }
    }
  }

  /// Asks the process to stop (SIGTERM: it finishes its calls) and waits until it has, or
  /// kills it after `grace`.
  func stop(grace: Duration = .seconds(40)) async {
    stopping = true
    guard let launch = running else { return }
    let process = launch.process
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGTERM)
    let deadline = ContinuousClock.now + grace
    while process.isRunning, ContinuousClock.now < deadline {
      try? await Task.sleep(for: .milliseconds(50))
    }
    if process.isRunning {
      logger.warning("\(name) did not stop within \(grace); killing it")
      kill(process.processIdentifier, SIGKILL)
    }
  }

  private static func launch(
    _ executable: URL, _ arguments: [String], name: String
  ) async throws -> (Launch, Int) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.standardError = FileHandle.standardError
    let output = Pipe()
    process.standardOutput = output
    let (exits, exited) = AsyncStream<(how: String, clean: Bool)>.makeStream()
    process.terminationHandler = { process in
      let status = process.terminationStatus
      let signalled = process.terminationReason == .uncaughtSignal
      exited.yield(
        (
          signalled ? "was killed by signal \(status)" : "exited with status \(status)",
          !signalled && status == 0
        ))
      exited.finish()
    }
    let (lines, line) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(64))
    let pending = Mutex(Data())
    output.fileHandleForReading.readabilityHandler = { handle in
      let chunk = handle.availableData
      guard !chunk.isEmpty else {
        handle.readabilityHandler = nil
        line.finish()
        return
      }
      let complete: [String] = pending.withLock { data in
        data.append(chunk)
        var complete: [String] = []
        while let newline = data.firstIndex(of: UInt8(ascii: "\n")) {
          complete.append(String(decoding: data[data.startIndex..<newline], as: UTF8.self))
          data.removeSubrange(data.startIndex...newline)
        }
        return complete
      }
      for text in complete { line.yield(text) }
    }
    try process.run()
    let startedAt = ContinuousClock.now
    for await text in lines {
      if let port = ServiceHost.port(inListeningLine: text[...]) {
        return (Launch(process: process, exits: exits, startedAt: startedAt), port)
      }
    }
    throw DevUpError("\(name) ended before it listened (see its log above)")
  }
}

/// Why `ordp dev up` cannot go on.
struct DevUpError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
