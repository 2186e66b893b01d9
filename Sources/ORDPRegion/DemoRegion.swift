/// A town of the region as the demo data knows it: its id, name, centre and real districts
/// (Ortsteile), so that demo datasets and sensors sit where a local would look for them.
public struct DemoTown: Sendable, Equatable {
  public let id: String
  public let name: String
  /// The centre, WGS 84.
  public let longitude: Double
  public let latitude: Double
  /// Districts of the town (its own, not a neighbour's).
  public let districts: [String]
}

/// The region's towns for demo data (`ordp dev up`, benchmarks): the five founding towns and
/// Iserlohn, the town that joins later. One table for the catalogue's synthetic datasets,
/// analytics' demo sensors and `dev up`'s partitions.
public enum DemoRegion {
  public static let towns: [DemoTown] = [
    DemoTown(
      id: "arnsberg", name: "Arnsberg", longitude: 8.0644, latitude: 51.3967,
      districts: [
        "Neheim", "Hüsten", "Alt-Arnsberg", "Oeventrop", "Herdringen", "Bruchhausen",
        "Müschede", "Voßwinkel", "Rumbeck", "Wennigloh",
      ]),
    DemoTown(
      id: "bad-berleburg", name: "Bad Berleburg", longitude: 8.3925, latitude: 51.0531,
      districts: [
        "Kernstadt", "Raumland", "Girkhausen", "Wingeshausen", "Berghausen", "Elsoff",
        "Schwarzenau", "Arfeld", "Aue", "Weidenhausen",
      ]),
    DemoTown(
      id: "menden", name: "Menden", longitude: 7.7994, latitude: 51.4436,
      districts: [
        "Innenstadt", "Lendringsen", "Bösperde", "Halingen", "Oberrödinghausen", "Schwitten",
        "Hüingsen", "Platte Heide",
      ]),
    DemoTown(
      id: "olpe", name: "Olpe", longitude: 7.8514, latitude: 51.0289,
      districts: [
        "Innenstadt", "Rhode", "Rüblinghausen", "Griesemert", "Thieringhausen", "Saßmicke",
        "Lütringhausen", "Stachelau", "Neuenkleusheim", "Oberveischede",
      ]),
    DemoTown(
      id: "soest", name: "Soest", longitude: 8.1064, latitude: 51.5711,
      districts: [
        "Altstadt", "Ampen", "Deiringsen", "Meckingen", "Ostönnen", "Hattrop", "Ruploh",
        "Thöningsen", "Müllingsen", "Paradiese",
      ]),
    DemoTown(
      id: "iserlohn", name: "Iserlohn", longitude: 7.6961, latitude: 51.3759,
      districts: [
        "Innenstadt", "Letmathe", "Hennen", "Sümmern", "Kesbern", "Drüpplingsen", "Oestrich",
        "Dröschede", "Lössel", "Iserlohnerheide",
      ]),
  ]

  /// The town with `id`, if the demo region has it.
  public static func town(_ id: String) -> DemoTown? { towns.first { $0.id == id } }
}
