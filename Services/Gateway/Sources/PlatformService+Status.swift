import NIOCore
import ORDPAuth
public import ORDPPlatformAPI
public import ORDPRPC

extension PlatformService {
  /// Every service, partition and replica the gateway balances over, with each replica's
  /// health, open calls and ejection — for platform admins (it names internal addresses).
  public func getPlatformStatus(
    request: Ordp_Platform_V1_GetPlatformStatusRequest, context: ServerContext
  ) async throws -> Ordp_Platform_V1_PlatformStatus {
    guard let principal = context.principal else {
      throw RPCError(.unauthenticated, "GetPlatformStatus needs an access token")
    }
    guard principal.isPlatformAdmin else {
      throw RPCError(.permissionDenied, "the platform's status is for platform admins")
    }
    let now = NIODeadline.now()
    return .with { status in
      status.services = Backend.allCases.compactMap { backend in
        pools[backend].map { Self.state(of: $0, now: now) }
      }
    }
  }

  static func state(of pool: BackendPool, now: NIODeadline) -> Ordp_Platform_V1_ServiceState {
    let replicas = pool.replicaStates
    return .with { service in
      service.service = pool.backend.rawValue
      service.partitions = pool.partitions.map { partition in
        .with {
          $0.name = partition.name
          $0.towns = partition.towns.sorted()
          $0.isDefault = partition.isDefault
          $0.replicas = partition.replicas.map { target in
            let replica = replicas[target] ?? .init()
            return .with {
              $0.address = "\(target.host):\(target.port)"
              $0.health =
                switch replica.health {
                case .serving: "serving"
                case .notServing: "not_serving"
                case .unknown: "unknown"
                }
              $0.outstanding = UInt32(clamping: replica.outstanding)
              $0.consecutiveFailures = UInt32(clamping: replica.consecutiveFailures)
              if let until = replica.ejectedUntil, until > now {
                $0.ejectedSeconds = UInt32(clamping: (until - now).nanoseconds / 1_000_000_000 + 1)
              }
              $0.ejections = UInt32(clamping: replica.totalEjections)
            }
          }
        }
      }
    }
  }
}
