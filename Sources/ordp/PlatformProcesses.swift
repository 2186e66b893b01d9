import Logging
import ServiceLifecycle

/// The services of `ordp dev up` as processes, started one after the other — each made
/// knowing the ports of those before it (the catalogue needs identity's, the gateway every
/// backend's) — then all supervised until a graceful shutdown, and stopped in reverse order.
final class PlatformProcesses: Service {
  /// Where each service listens, in the order they started.
  typealias Ports = [(name: String, port: Int)]
  /// Makes a service's process given the ports of the ones started before it, by name.
  typealias Stage = @Sendable ([String: Int]) -> SupervisedProcess

  let stages: [Stage]
  let logger: Logger
  private let started: AsyncStream<Ports>
  private let announce: AsyncStream<Ports>.Continuation

  init(stages: [Stage], logger: Logger) {
    self.stages = stages
    self.logger = logger
    (started, announce) = AsyncStream<Ports>.makeStream()
  }

  /// The ports once every service listens; nil if they did not start.
  func ports() async -> Ports? {
    for await ports in started { return ports }
    return nil
  }

  func run() async throws {
    var all: [SupervisedProcess] = []
    do {
      var ports: Ports = []
      for stage in stages {
        let process = stage(Dictionary(ports, uniquingKeysWith: { a, _ in a }))
        all.append(process)
        ports.append((process.name, try await process.start()))
      }
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
