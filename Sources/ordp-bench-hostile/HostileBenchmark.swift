import ArgumentParser
import Foundation
import ORDPBenchSupport
import ORDPTestSupport

/// Honest users beside hostile ones, against identity, catalogue and analytics as their own
/// processes on loopback: the honest users' latency quiet and under attack, their failures,
/// and each service's peak memory. The attackers run in a process of their own (this
/// executable with `--attacker`), as they would on another machine: they do not share the
/// honest clients' threads.
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
  @Option(
    help:
      "Attacks to run, comma-separated: exports, held, frames, aggregates, handshakes (default all)."
  )
  var attacks = HostileClients.Attack.allCases.map(\.rawValue).joined(separator: ",")
  @Option(
    help: ArgumentHelp(
      "Run as the attacker against identity,catalogue,analytics ports and a CA file.",
      visibility: .hidden))
  var attacker: String?

  func run() async throws {
    let chosen = Set(
      attacks.split(separator: ",").compactMap { HostileClients.Attack(rawValue: String($0)) })
    if let attacker { return try await attack(attacker, chosen) }
    print("ORDP hostile-load benchmark; cores: \(ProcessInfo.processInfo.activeProcessorCount)")
    print("identity, catalogue, analytics: own processes on loopback, TLS")
    let platform = try await HostilePlatform.start(
      honest: honest, datasets: datasets, streams: streams)
    defer { platform.stop() }
    print(
      "seeded: \(platform.datasets.count) datasets, \(streams) streams × 2016 observations; \(honest) honest users"
    )
    print("attacks: \(chosen.map(\.rawValue).sorted().joined(separator: ", "))")
    let clients = HonestClients(platform: platform)
    _ = try await clients.run(for: .seconds(3))  // warm-up
    let pids = platform.processes.map(\.1) + [getpid()]
    let cpuAtStart = pids.map(HostilePlatform.cpuSeconds)
    let quiet = try await clients.run(for: .seconds(quietSeconds))
    let cpuQuiet = pids.map(HostilePlatform.cpuSeconds)
    let before = platform.processes.map { HostilePlatform.memory(of: $0.1).now }

    let attackers = try startAttackers(platform, chosen)
    try await Task.sleep(for: .seconds(3))  // the attack builds up
    let cpuAttack =
      pids.map(HostilePlatform.cpuSeconds) + [
        HostilePlatform.cpuSeconds(of: attackers.process.processIdentifier)
      ]
    let attacked = try await clients.run(for: .seconds(attackSeconds))
    let cpuEnd =
      pids.map(HostilePlatform.cpuSeconds) + [
        HostilePlatform.cpuSeconds(of: attackers.process.processIdentifier)
      ]
    kill(attackers.process.processIdentifier, SIGTERM)
    let report = await readLines(attackers.output, count: 1_000)
    attackers.process.waitUntilExit()
    try await Task.sleep(for: .seconds(5))
    let after = platform.processes.map { HostilePlatform.memory(of: $0.1).now }

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
    print("\n| service | RSS before attack MiB | peak RSS MiB | RSS 5 s after MiB |")
    print("|---|---:|---:|---:|")
    var peaks: [Int] = []
    for (index, (name, pid)) in platform.processes.enumerated() {
      let peak = HostilePlatform.memory(of: pid).peak
      peaks.append(peak)
      print("| \(name) | \(before[index]) | \(peak) | \(after[index]) |")
    }
    print("\nCPU, cores busy per second of each phase:")
    print("| process | quiet | under attack |")
    print("|---|---:|---:|")
    let names = platform.processes.map(\.0) + ["honest clients", "attackers"]
    for (index, name) in names.enumerated() {
      let quietShare =
        index < cpuQuiet.count ? (cpuQuiet[index] - cpuAtStart[index]) / Double(quietSeconds) : 0
      let attackShare = (cpuEnd[index] - cpuAttack[index]) / Double(attackSeconds)
      print("| \(name) | \(format(quietShare)) | \(format(attackShare)) |")
    }
    print("\nwhat the attackers did:")
    for line in report.split(separator: "\n") where line.hasPrefix("  ") { print(line) }
    let ratio = attacked.p99Millis / max(quiet.p99Millis, 0.001)
    print("\ntargets:")
    print("  no honest call fails: \(attacked.failures.isEmpty ? "yes" : "NO")")
    print(
      "  honest p99 under attack within 5× of quiet: \(format(ratio))× \(ratio <= 5 ? "yes" : "NO")"
    )
    print("  peak RSS under 1 GiB per service: \(peaks.allSatisfy { $0 < 1024 } ? "yes" : "NO")")
  }

  /// This executable again, as the attacker, against the platform's services.
  func startAttackers(
    _ platform: HostilePlatform, _ chosen: Set<HostileClients.Attack>
  ) throws -> (process: Process, output: Pipe) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    process.arguments = [
      "--attacker",
      "\(platform.identity.port),\(platform.catalogue.port),\(platform.analytics.port),\(IdentityPKI.path("ca.pem"))",
      "--streams", "\(streams)", "--attacks", chosen.map(\.rawValue).joined(separator: ","),
    ]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    // The lowest CPU priority: the attackers stand in for clients on other machines, whose
    // own work (encrypting gigabytes, say) costs the platform nothing; on a small machine at
    // normal priority they would take the cores the services need, and the figures would
    // measure the machine rather than the platform. What they make the services do is real.
    setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(process.processIdentifier), 19)
    return (process, output)
  }

  /// The attacker's side: attacks until SIGTERM, then prints what it did.
  func attack(_ target: String, _ chosen: Set<HostileClients.Attack>) async throws {
    let parts = target.split(separator: ",").map(String.init)
    guard parts.count == 4, let identity = Int(parts[0]), let catalogue = Int(parts[1]),
      let analytics = Int(parts[2])
    else { throw ValidationError("--attacker identity,catalogue,analytics,ca-file") }
    let hostile = try HostileClients(
      targets: .init(
        identityPort: identity, cataloguePort: catalogue, analyticsPort: analytics,
        caPath: parts[3], streams: streams))
    signal(SIGTERM, SIG_IGN)
    let terminated = DispatchSource.makeSignalSource(signal: SIGTERM)
    let running = Task { await hostile.run(chosen) }
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
      terminated.setEventHandler { done.resume() }
      terminated.resume()
    }
    terminated.cancel()
    running.cancel()
    for (what, count) in hostile.counts.values.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
      print("  \(what): \(count)")
    }
    hostile.close()
    // The attack's tasks may still wait on connections; the report is out, so stop here.
    Foundation.exit(0)
  }

  func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
