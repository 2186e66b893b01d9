import Logging
import ServiceLifecycle

/// The services of `ordp dev up` as processes: identity first, then (given identity's port)
/// the services that verify its tokens; all supervised until a graceful shutdown, then
/// stopped in reverse order (identity last).
final class PlatformProcesses: Service {
  /// Where each service listens, in the order they started.
  typealias Ports = [(name: String, port: Int)]

  let identity: SupervisedProcess
  let logger: Logger
  /// The catalogue and analytics, to reach identity on the given port.
  let dependents: @Sendable (Int) -> [SupervisedProcess]
  private let started: AsyncStream<Ports>
  private let announce: AsyncStream<Ports>.Continuation

  init(
    identity: SupervisedProcess, logger: Logger,
    dependents: @escaping @Sendable (Int) -> [SupervisedProcess]
  ) {
    self.identity = identity
    self.logger = logger
    self.dependents = dependents
    (started, announce) = AsyncStream<Ports>.makeStream()
  }

  /// The ports once every service listens; nil if they did not start.
  func ports() async -> Ports? {
    for await ports in started { return ports }
    return nil
  }

  func run() async throws {
    var all = [identity]
    do {
      let identityPort = try await identity.start()
      var ports: Ports = [(identity.name, identityPort)]
      let others = dependents(identityPort)
      all += others
      for process in others { ports.append((process.name, try await process.start())) }
      announce.yield(ports)
      announce.finish()
    } catch {
      announce.finish()
      await Self.stop(all)
      throw error
    }
    let processes = all
    await withTaskCancellationHandler {
      await withGracefulShutdownHandler {
        await withTaskGroup(of: Void.self) { group in
          for process in processes { group.addTask { await process.supervise() } }
        }
      } onGracefulShutdown: {
        Task { await Self.stop(processes) }
      }
    } onCancel: {
      Task { await Self.stop(processes) }
    }
  }

  /// Stops the processes, the last started first.
  private static func stop(_ processes: [SupervisedProcess]) async {
    for process in processes.reversed() { await process.stop() }
  }
}
