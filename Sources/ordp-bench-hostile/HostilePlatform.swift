import Foundation
import ORDPAnalyticsAPI
import ORDPCatalogue
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport

/// Identity, catalogue and analytics as their own processes on loopback with TLS (the release
/// executables next to this one), with honest users and data worth attacking: a catalogue
/// whose export is megabytes, streams with a week of five-minute data.
final class HostilePlatform: Sendable {
  let identity: IdentityProcess
  let catalogue: ServiceProcess
  let analytics: ServiceProcess
  let identityChannel: RPCChannel
  let catalogueChannel: RPCChannel
  let analyticsChannel: RPCChannel
  /// Access tokens of the honest users, one each.
  let honestTokens: [String]
  let streams: [String]
  let datasets: [String]

  var processes: [(String, Int32)] {
    [
      ("identity", identity.process.processIdentifier),
      ("catalogue", catalogue.process.processIdentifier),
      ("analytics", analytics.process.processIdentifier),
    ]
  }

  static func start(honest: Int, datasets: Int, streams: Int) async throws -> HostilePlatform {
    let identity = try await IdentityProcess.start()
    let arguments = [
      "--identity-port", "\(identity.port)", "--identity-ca", IdentityPKI.path("ca.pem"),
      "--identity-server-name", "localhost",
    ]
    let catalogue = try await ServiceProcess.start("ordp-catalogue", arguments: arguments)
    let analytics = try await ServiceProcess.start("ordp-analytics", arguments: arguments)
    let identityChannel = try identity.channel()
    let users = Ordp_Identity_V1_Identity_Client(channel: identityChannel)
    var tokens = try await users.tokens(
      for: (0..<honest).map { ("soest.honest\($0)", "soest", .editor) })
    let root = tokens.removeValue(forKey: "root")!
    let honestTokens = (0..<honest).map { tokens["soest.honest\($0)"]! }

    let catalogueChannel = try catalogue.channel()
    let synthetic = SyntheticCatalogue()
    let results = try await Ordp_Catalogue_V1_Catalogue_Client(channel: catalogueChannel)
      .importCkan(options: bearer(root)) { writer in
        for index in 0..<datasets {
          try await writer.write(
            .with {
              $0.ckanJson = synthetic.ckanJSON(index)
              $0.publisher = "soest"
            })
        }
      }
    let analyticsChannel = try analytics.channel()
    let client = Ordp_Analytics_V1_Analytics_Client(channel: analyticsChannel)
    var ids: [String] = []
    let now = Int64(Date().timeIntervalSince1970 / 300) * 300_000_000
    for index in 0..<streams {
      let stream = try await client.createDatastream(
        .with {
          $0.datastream.owner = "soest"
          $0.datastream.name = "Pegel \(index)"
          $0.datastream.observedProperty = "water_level"
          $0.datastream.unit = "cm"
        }, options: bearer(root))
      ids.append(stream.id)
    }
    // A week of five-minute data per stream.
    let times = (0..<2016).map { now - Int64(2016 - $0) * 300_000_000 }
    let created = ids
    _ = try await client.ingest(
      options: bearer(root),
      requests: { writer in
        for (index, id) in created.enumerated() {
          try await writer.write(
            .with {
              $0.batchID = UInt64(index)
              $0.series = [
                .with {
                  $0.datastreamID = id
                  $0.timesMicros = times
                  $0.results = times.indices.map { 100 + Double(($0 * 37 + index) % 50) }
                }
              ]
            })
        }
      },
      onResponse: { acks in for try await _ in acks {} })
    return HostilePlatform(
      identity: identity, catalogue: catalogue, analytics: analytics,
      identityChannel: identityChannel, catalogueChannel: catalogueChannel,
      analyticsChannel: analyticsChannel, honestTokens: honestTokens, streams: ids,
      datasets: results.map(\.datasetID))
  }

  private init(
    identity: IdentityProcess, catalogue: ServiceProcess, analytics: ServiceProcess,
    identityChannel: RPCChannel, catalogueChannel: RPCChannel, analyticsChannel: RPCChannel,
    honestTokens: [String], streams: [String], datasets: [String]
  ) {
    self.identity = identity
    self.catalogue = catalogue
    self.analytics = analytics
    self.identityChannel = identityChannel
    self.catalogueChannel = catalogueChannel
    self.analyticsChannel = analyticsChannel
    self.honestTokens = honestTokens
    self.streams = streams
    self.datasets = datasets
  }

  func stop() {
    identityChannel.close()
    catalogueChannel.close()
    analyticsChannel.close()
    catalogue.stop()
    analytics.stop()
    identity.stop()
  }

  /// CPU time a process has used, user and system, in seconds (from /proc; 100 ticks/s).
  static func cpuSeconds(of pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return 0 }
    // Fields after the command name: state is field 3, utime 14, stime 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12])
    else { return 0 }
    return (user + system) / 100
  }

  /// A process's peak and current resident memory, MiB (from /proc).
  static func memory(of pid: Int32) -> (peak: Int, now: Int) {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    else { return (0, 0) }
    func field(_ name: String) -> Int {
      guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
        let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
      else { return 0 }
      return kib / 1024
    }
    return (field("VmHWM:"), field("VmRSS:"))
  }
}
