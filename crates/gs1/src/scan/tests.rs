//! Tests of `scan`.
#[test]
fn upce_zero_suppression_rules() {
    // Each rule of zero suppression once, and a code of each rule that breaks it.
    for (gtin12, encodable) in [
        ("012000003455", true),
        ("012000103455", false),
        ("012300000643", true),
        ("012301000643", false),
        ("012340000059", true),
        ("012340000169", false),
        ("012345000058", true),
        ("012345000041", false),
        ("212345000058", false),
        ("001234000057", true),
        ("061414100001", false),
    ] {
        assert_eq!(super::upce_encodable(gtin12), encodable, "{gtin12}");
    }
}
