import ArgumentParser
import Foundation
import ORDPBenchSupport

/// Honest users beside hostile ones, against identity, catalogue and analytics as their own
/// processes on loopback: the honest users' latency quiet and under attack, their failures,
/// and each service's peak memory.
@main
struct HostileBenchmark: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp-bench-hostile",
    abstract: "Honest clients' latency and failures while hostile clients attack; peak RSS.")

  @Option(help: "Honest users, each calling one call after the other.") var honest = 4
  @Option(help: "Seconds of honest load alone.") var quietSeconds = 20
  @Option(help: "Seconds of honest load under attack.") var attackSeconds = 30
  @Option(help: "Datasets in the catalogue (its export is what non-reading clients ask for).")
  var datasets = 2000
  @Option(help: "Datastreams with a week of five-minute data.") var streams = 20

  func run() async throws {
    print("ORDP hostile-load benchmark; cores: \(ProcessInfo.processInfo.activeProcessorCount)")
    print("identity, catalogue, analytics: own processes on loopback, TLS")
    let platform = try await HostilePlatform.start(
      honest: honest, datasets: datasets, streams: streams)
    defer { platform.stop() }
    print(
      "seeded: \(platform.datasets.count) datasets, \(streams) streams × 2016 observations; \(honest) honest users"
    )
    let clients = HonestClients(platform: platform)
    _ = try await clients.run(for: .seconds(3))  // warm-up
    let quiet = try await clients.run(for: .seconds(quietSeconds))
    let before = platform.processes.map { HostilePlatform.memory(of: $0.1).now }

    let hostile = try HostileClients(platform: platform)
    let attack = Task { await hostile.run() }
    try await Task.sleep(for: .seconds(3))  // the attack builds up
    let attacked = try await clients.run(for: .seconds(attackSeconds))
    attack.cancel()
    await attack.value
    hostile.close()

    print("\n| honest calls | calls | calls/s | p50 ms | p99 ms | failures |")
    print("|---|---:|---:|---:|---:|---:|")
    for (name, result, seconds) in [
      ("quiet", quiet, quietSeconds), ("under attack", attacked, attackSeconds),
    ] {
      print(
        "| \(name) | \(result.calls) | \(Int(Double(result.calls) / Double(seconds))) | \(format(result.p50Millis)) | \(format(result.p99Millis)) | \(result.failures.values.reduce(0, +)) |"
      )
    }
    for (what, count) in attacked.failures.sorted(by: { $0.key < $1.key }) {
      print("  honest failure: \(count)× \(what)")
    }
    print("\n| service | RSS before attack MiB | peak RSS MiB |")
    print("|---|---:|---:|")
    var peaks: [Int] = []
    for ((name, pid), rss) in zip(platform.processes, before) {
      let peak = HostilePlatform.memory(of: pid).peak
      peaks.append(peak)
      print("| \(name) | \(rss) | \(peak) |")
    }
    print("\nwhat the attackers did:")
    for (what, count) in hostile.counts.values.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
      print("  \(what): \(count)")
    }
    let ratio = attacked.p99Millis / max(quiet.p99Millis, 0.001)
    print("\ntargets:")
    print("  no honest call fails: \(attacked.failures.isEmpty ? "yes" : "NO")")
    print("  honest p99 under attack within 5× of quiet: \(format(ratio))× \(ratio <= 5 ? "yes" : "NO")")
    print("  peak RSS under 1 GiB per service: \(peaks.allSatisfy { $0 < 1024 } ? "yes" : "NO")")
  }

  func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
