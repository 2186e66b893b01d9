import Foundation
import ORDPAnalyticsAPI
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport

/// Identity and analytics as real processes over TLS, with users and service accounts in two
/// towns.
final class AnalyticsPlatform: Sendable {
  let identity: IdentityProcess
  let analytics: ServiceProcess
  let identityChannel: RPCChannel
  let channel: RPCChannel
  let client: Ordp_Analytics_V1_Analytics_Client
  let tokens: [String: String]

  static func arguments(_ identity: IdentityProcess) -> [String] {
    [
      "--identity-port", "\(identity.port)", "--identity-ca", IdentityPKI.path("ca.pem"),
      "--identity-server-name", "localhost",
    ]
  }

  init(extraArguments: [String] = []) async throws {
    identity = try await IdentityProcess.start()
    analytics = try await ServiceProcess.start(
      "ordp-analytics", arguments: Self.arguments(identity) + extraArguments)
    identityChannel = try identity.channel()
    channel = try analytics.channel()
    client = Ordp_Analytics_V1_Analytics_Client(channel: channel)
    let users = Ordp_Identity_V1_Identity_Client(channel: identityChannel)
    var tokens = try await users.tokens(for: [
      ("soest.editor", "soest", .editor), ("soest.viewer", "soest", .viewer),
      ("olpe.editor", "olpe", .editor), ("soest.admin", "soest", .admin),
    ])
    let root = tokens["root"]!
    // Service accounts of Soest: a sensor gateway allowed to ingest, a dashboard to query.
    for (name, scopes) in [
      ("soest.sensors", ["analytics:ingest"]), ("soest.dashboard", ["analytics:query"]),
    ] {
      tokens[name] = try await users.serviceKey(
        name.replacingOccurrences(of: ".", with: "-"), in: "soest", scopes: scopes, admin: root
      ).token
    }
    self.tokens = tokens
  }

  func stop() {
    channel.close()
    identityChannel.close()
    analytics.stop()
    identity.stop()
  }

  func options(_ user: String?) -> CallOptions {
    user.map { bearer(tokens[$0]!) } ?? .defaults
  }

  func create(
    _ name: String, owner: String = "soest", property: String = "bicycle_count",
    access: Ordp_Analytics_V1_AccessLevel = .public, as user: String = "soest.editor",
    location: (Double, Double)? = nil
  ) async throws -> Ordp_Analytics_V1_Datastream {
    try await client.createDatastream(
      .with {
        $0.datastream.owner = owner
        $0.datastream.name = name
        $0.datastream.observedProperty = property
        $0.datastream.unit = "1"
        $0.datastream.accessLevel = access
        if let location {
          $0.datastream.thing.name = name
          $0.datastream.thing.location = .with {
            $0.longitude = location.0
            $0.latitude = location.1
          }
        }
      }, options: options(user))
  }

  /// Sends the batches on one Ingest call; returns the acknowledgements.
  func ingest(
    _ batches: [Ordp_Analytics_V1_IngestBatch], as user: String
  ) async throws
    -> [Ordp_Analytics_V1_IngestAck]
  {
    try await client.ingest(
      options: options(user),
      requests: { writer in for batch in batches { try await writer.write(batch) } },
      onResponse: { acks in
        var all: [Ordp_Analytics_V1_IngestAck] = []
        for try await ack in acks { all.append(ack) }
        return all
      })
  }

  func aggregate(
    _ request: Ordp_Analytics_V1_AggregateRequest, as user: String?
  ) async throws
    -> [Ordp_Analytics_V1_AggregateRow]
  {
    try await client.aggregate(request, options: options(user)) { pages in
      var rows: [Ordp_Analytics_V1_AggregateRow] = []
      for try await page in pages { rows += page.rows }
      return rows
    }
  }

  /// Every page of a raw read.
  func read(
    _ request: Ordp_Analytics_V1_ReadObservationsRequest, as user: String?
  ) async throws
    -> [Ordp_Analytics_V1_ObservationPage]
  {
    try await client.readObservations(request, options: options(user)) { pages in
      var all: [Ordp_Analytics_V1_ObservationPage] = []
      for try await page in pages { all.append(page) }
      return all
    }
  }
}

func series(_ id: String, _ times: [Int64], _ results: [Double]) -> Ordp_Analytics_V1_Series {
  .with {
    $0.datastreamID = id
    $0.timesMicros = times
    $0.results = results
  }
}

func batch(_ id: UInt64, _ series: [Ordp_Analytics_V1_Series]) -> Ordp_Analytics_V1_IngestBatch {
  .with {
    $0.batchID = id
    $0.series = series
  }
}

/// Now, rounded down to the minute, in microseconds.
func thisMinute() -> Int64 {
  Int64(Date().timeIntervalSince1970 / 60) * 60_000_000
}
