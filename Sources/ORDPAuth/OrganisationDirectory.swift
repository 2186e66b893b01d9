import Foundation
public import Logging
import ORDPIdentityAPI
public import ORDPRPC

/// The towns' display names by id, fetched from the identity service (`ListOrganisations`, no
/// token needed) and kept for `refreshInterval`. When identity cannot be reached the last
/// answer stays in use (an empty one before the first success), so callers never fail on it.
public actor OrganisationDirectory {
  private let client: Ordp_Identity_V1_Identity_Client
  private let refreshInterval: Duration
  private let logger: Logger
  private var names: [String: String] = [:]
  private var fetchedAt: ContinuousClock.Instant?

  public init(channel: RPCChannel, refreshInterval: Duration = .seconds(300), logger: Logger) {
    self.client = Ordp_Identity_V1_Identity_Client(channel: channel)
    self.refreshInterval = refreshInterval
    self.logger = logger
  }

  public func displayNames() async -> [String: String] {
    if let fetchedAt, fetchedAt.duration(to: .now) < refreshInterval { return names }
    var request = Ordp_Identity_V1_ListOrganisationsRequest()
    request.includeInactive = true
    do {
      let response = try await client.listOrganisations(
        request, options: CallOptions(timeout: .seconds(5)))
      names = Dictionary(
        response.organisations.map { ($0.id, $0.displayName) }, uniquingKeysWith: { a, _ in a })
      fetchedAt = .now
    } catch {
      logger.warning("organisation names unavailable: \(error)")
    }
    return names
  }
}
