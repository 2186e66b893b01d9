import ORDPAnalyticsAPI
import ORDPAuth
import ORDPRPC

/// Who may see and write which datastream. Reads: public for anyone; internal for any
/// authenticated caller; restricted for members of the owner and of granted towns (and
/// platform admins). Writes (the datastream and its observations): `analytics:ingest` in the
/// owning town — its editors and admins, and service accounts whose key has the scope.
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
      level, owner: stream.owner, granted: stream.grantedOrganisations, principal)
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
