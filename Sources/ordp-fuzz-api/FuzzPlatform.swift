import Foundation
import Logging
import ORDPAnalytics
import ORDPAnalyticsAPI
import ORDPAuth
import ORDPBenchSupport
import ORDPCatalogue
import ORDPCatalogueAPI
import ORDPIdentity
import ORDPIdentityAPI
import ORDPRPC
import ORDPServiceKit
import Synchronization

/// Identity, catalogue and analytics in this process behind one TLS server on loopback — the
/// real services, stores, interceptors and runtime — with callers of every kind and a little
/// data for requests to name.
final class FuzzPlatform: Sendable {
  /// Who calls.
  enum Caller: String, CaseIterable, Sendable {
    case anonymous, viewer, editor, townAdmin, platformAdmin, ingestKey
  }

  /// Ids that requests name (the seeds' data).
  struct Seeds: Sendable {
    var publicDataset = ""
    var restrictedDataset = ""
    var publicStream = ""
    var restrictedStream = ""
    var victimUser = ""
    var serviceAccount = ""
    var apiKeyID = ""
    var apiKeySecret = ""
    var refreshToken = ""
  }

  let bench: BenchPlatform
  let seeds: Seeds
  let password = "Fuzzing-Is-Hostile-42"
  private let tokens: Mutex<[Caller: String]>
  let directory: URL

  static let users: [(Caller, String, Ordp_Identity_V1_Role)] = [
    (.viewer, "soest.fuzz-viewer", .viewer), (.editor, "soest.fuzz-editor", .editor),
    (.townAdmin, "soest.fuzz-admin", .admin),
  ]

  static func start() async throws -> FuzzPlatform {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-fuzz-api-\(UUID().uuidString)")
    let quiet = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
    let bench = try await BenchPlatform.start(directory: directory) { identity in
      [
        try await CatalogueAssembly.assemble(
          .init(dataDirectory: directory.appendingPathComponent("catalogue")),
          identity: identity, logger: quiet),
        try await AnalyticsAssembly.assemble(
          .init(dataDirectory: directory.appendingPathComponent("analytics")),
          identity: identity, logger: quiet),
      ]
    }
    let platform = FuzzPlatform(bench: bench, directory: directory)
    return try await platform.seeded()
  }

  private init(bench: BenchPlatform, directory: URL, seeds: Seeds = Seeds()) {
    self.bench = bench
    self.directory = directory
    self.seeds = seeds
    tokens = Mutex([:])
  }

  private init(_ other: FuzzPlatform, seeds: Seeds, tokens: [Caller: String]) {
    bench = other.bench
    directory = other.directory
    self.seeds = seeds
    self.tokens = Mutex(tokens)
  }

  var identity: Ordp_Identity_V1_Identity_Client {
    Ordp_Identity_V1_Identity_Client(channel: bench.channel)
  }

  /// Users, a service key, a victim to be changed, datasets and streams.
  private func seeded() async throws -> FuzzPlatform {
    let admin = bench.admin
    var tokens: [Caller: String] = [:]
    tokens[.platformAdmin] = admin.metadata["authorization"].map { String($0.dropFirst(7)) }
    for (caller, name, role) in Self.users {
      tokens[caller] = try await createAndLogIn(name, role: role)
    }
    var seeds = Seeds()
    seeds.victimUser = try await identity.createUser(
      .with {
        $0.username = "olpe.victim"
        $0.password = password
        $0.memberships = [
          .with {
            $0.organisationID = "olpe"; $0.role = .editor
          }
        ]
      }, options: admin
    ).id
    seeds.refreshToken = try await identity.login(
      .with {
        $0.username = "olpe.victim"
        $0.password = password
      }
    ).refreshToken
    let account = try await identity.createServiceAccount(
      .with {
        $0.organisationID = "soest"
        $0.name = "fuzz-sensors"
      }, options: admin)
    seeds.serviceAccount = account.id
    let key = try await identity.createApiKey(
      .with {
        $0.serviceAccountID = account.id
        $0.scopes = ["analytics:ingest"]
      }, options: admin)
    seeds.apiKeyID = key.key.id
    seeds.apiKeySecret = key.secret
    tokens[.ingestKey] = try await identity.exchangeApiKey(.with { $0.apiKey = key.secret })
      .accessToken

    let catalogue = Ordp_Catalogue_V1_Catalogue_Client(channel: bench.channel)
    for (level, keyPath) in [
      (Ordp_Catalogue_V1_AccessLevel.public, \Seeds.publicDataset),
      (.restricted, \Seeds.restrictedDataset),
    ] {
      seeds[keyPath: keyPath] = try await catalogue.createDataset(
        .with { $0.dataset = Self.dataset(level) }, options: admin
      ).id
    }
    let analytics = Ordp_Analytics_V1_Analytics_Client(channel: bench.channel)
    for (level, keyPath) in [
      (Ordp_Analytics_V1_AccessLevel.public, \Seeds.publicStream),
      (.restricted, \Seeds.restrictedStream),
    ] {
      seeds[keyPath: keyPath] = try await analytics.createDatastream(
        .with { $0.datastream = Self.stream(level) }, options: admin
      ).id
    }
    return FuzzPlatform(self, seeds: seeds, tokens: tokens)
  }

  private func createAndLogIn(_ name: String, role: Ordp_Identity_V1_Role) async throws -> String {
    _ = try await identity.createUser(
      .with {
        $0.username = name
        $0.password = password
        $0.memberships = [
          .with {
            $0.organisationID = "soest"; $0.role = role
          }
        ]
      }, options: bench.admin)
    return try await logIn(name)
  }

  private func logIn(_ name: String) async throws -> String {
    try await identity.login(
      .with {
        $0.username = name
        $0.password = password
      }
    ).accessToken
  }

  /// Fresh tokens for the users (a fuzzed call may have ended their sessions, and tokens
  /// expire); a user that can no longer log in keeps its old token.
  func renewTokens() async {
    for (caller, name, _) in Self.users {
      if let token = try? await logIn(name) { tokens.withLock { $0[caller] = token } }
    }
    if let token = try? await identity.exchangeApiKey(.with { $0.apiKey = seeds.apiKeySecret }) {
      tokens.withLock { $0[.ingestKey] = token.accessToken }
    }
  }

  func options(_ caller: Caller, timeout: Duration) -> CallOptions {
    var options = CallOptions(timeout: timeout)
    if let token = tokens.withLock({ $0[caller] }) {
      options.metadata.add("authorization", "Bearer \(token)")
    }
    return options
  }

  func shutdown() async throws {
    try await bench.shutdown()
    try? FileManager.default.removeItem(at: directory)
  }

  static func dataset(_ level: Ordp_Catalogue_V1_AccessLevel) -> Ordp_Catalogue_V1_Dataset {
    .with {
      $0.publisher = "soest"
      $0.title = "Zählstellen Radverkehr \(level)"
      $0.description_p = "Stündliche Zählungen an den Radzählstellen der Stadt Soest."
      $0.keywords = ["Radverkehr", "Zählstelle"]
      $0.themes = ["TRAN"]
      $0.license = "dl-by-de/2.0"
      $0.accessLevel = level
      $0.grantedOrganisations = level == .restricted ? ["olpe"] : []
      $0.spatial.hasBbox_p = true
      $0.spatial.bbox = .with {
        $0.west = 8.05
        $0.south = 51.55
        $0.east = 8.15
        $0.north = 51.6
      }
      $0.temporal = .with {
        $0.startDate = "2024-01-01"
        $0.endDate = "2024-12-31"
      }
      $0.distributions = [
        .with {
          $0.accessURL = "https://opendata.soest.de/rad.csv"
          $0.format = "CSV"
          $0.mediaType = "text/csv"
          $0.byteSize = 2048
        }
      ]
    }
  }

  static func stream(_ level: Ordp_Analytics_V1_AccessLevel) -> Ordp_Analytics_V1_Datastream {
    .with {
      $0.owner = "soest"
      $0.name = "Zählstelle Brüdertor \(level)"
      $0.observedProperty = "bicycle_count"
      $0.unit = "1"
      $0.accessLevel = level
      $0.thing.name = "Brüdertor"
      $0.thing.location = .with {
        $0.longitude = 8.1
        $0.latitude = 51.57
      }
    }
  }
}
