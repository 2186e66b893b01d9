import ArgumentParser
import ORDPAuth

/// The `--demo-towns` list of the catalogue and analytics: "arnsberg,soest" as a set.
enum DemoTowns {
  static func parse(_ list: String) -> Set<String> {
    Set(list.split(separator: ",").map { String($0) })
  }

  /// Refuses a list that is not 1–64 organisation ids.
  static func check(_ list: String?) throws {
    guard let list else { return }
    let towns = list.split(separator: ",", omittingEmptySubsequences: false)
    guard (1...64).contains(towns.count) else {
      throw ValidationError("--demo-towns takes 1 to 64 towns")
    }
    for town in towns {
      if let problem = OrganisationID.problem(String(town)) {
        throw ValidationError("--demo-towns: \(problem)")
      }
    }
  }
}
