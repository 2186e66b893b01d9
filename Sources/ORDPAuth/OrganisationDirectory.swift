import Foundation
public import Logging
import ORDPIdentityAPI
public import ORDPRPC

/// What another service knows of a town from identity.
public struct TownInfo: Sendable, Equatable {
  public var name: String
  /// Amtlicher Gemeindeschlüssel (8 digits); empty when not known.
  public var municipalityKey: String

  public init(name: String, municipalityKey: String = "") {
    self.name = name
    self.municipalityKey = municipalityKey
  }
}

/// The towns (display names, municipality keys) by id, fetched from the identity service
/// (`ListOrganisations`, no token needed) and kept for `refreshInterval`. When identity cannot be reached the last
/// answer stays in use (an empty one before the first success), so callers never fail on it.
public actor OrganisationDirectory {
  private let client: Ordp_Identity_V1_Identity_Client
  private let refreshInterval: Duration
  private let logger: Logger
  private var known: [String: TownInfo] = [:]
  private var fetchedAt: ContinuousClock.Instant?

  public init(channel: RPCChannel, refreshInterval: Duration = .seconds(300), logger: Logger) {
    self.client = Ordp_Identity_V1_Identity_Client(channel: channel)
    self.refreshInterval = refreshInterval
    self.logger = logger
  }

  public func towns() async -> [String: TownInfo] {
    if let fetchedAt, fetchedAt.duration(to: .now) < refreshInterval { return known }
    var request = Ordp_Identity_V1_ListOrganisationsRequest()
    request.includeInactive = true
    do {
      let response = try await client.listOrganisations(
        request, options: CallOptions(timeout: .seconds(5)))
      known = Dictionary(
        response.organisations.map {
          ($0.id, TownInfo(name: $0.displayName, municipalityKey: $0.municipalityKey))
        }, uniquingKeysWith: { a, _ in a })
      fetchedAt = .now
    } catch {
      logger.warning("organisation names unavailable: \(error)")
    }
    return known
  }
}
