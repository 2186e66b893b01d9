import ORDPAnalyticsAPI
import ORDPAuth
import ORDPRPC

/// Who may see and write which datastream. Reads (`analytics:query`): public for anyone;
/// internal for callers with the read scope; restricted for callers with it in the owner or a
/// granted town (and platform admins) — the rule every service shares (`ReadAccess`). Writes
/// (the datastream and its observations): `analytics:ingest` in the owning town — its editors
/// and admins, and service accounts whose key has the scope.
enum AnalyticsAccess {
  static func canRead(_ stream: Ordp_Analytics_V1_Datastream, _ principal: Principal?) -> Bool {
    let level: ReadAccess.Level =
      switch stream.accessLevel {
      case .public, .unspecified: .public
      case .internal: .internal
      case .restricted: .restricted
      case .UNRECOGNIZED: .unknown
      }
    return ReadAccess.allows(
      level, owner: stream.owner, granted: stream.grantedOrganisations, principal,
      scope: .analyticsQuery)
  }

  static func canWrite(_ owner: String, _ principal: Principal) -> Bool {
    principal.may(.analyticsIngest, in: owner)
  }

  static func requireWrite(
    _ owner: String, _ principal: Principal?, method: String
  )
    throws(RPCError) -> Principal
  {
    guard let principal else {
      throw RPCError(.unauthenticated, "\(method) needs an access token")
    }
    guard canWrite(owner, principal) else {
      throw RPCError(
        .permissionDenied,
        "\(method) needs analytics:ingest in \(owner) (editor, admin or a service account of the town)"
      )
    }
    return principal
  }
}
