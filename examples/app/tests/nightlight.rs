//! Light scale, server rule, simulated sensor, typed levels and the LED state machine.

use picomqtt_demo::{
    ADC_MAX, Command, DecodeError, LIGHT_MAX, LIGHT_THRESHOLD, Nightlight, ParseLevelError,
    Reaction, adc_to_light, led_should_be_on, parse_level, simulated_light,
};

#[test]
fn led_is_on_below_the_threshold_and_off_from_it() {
    assert_eq!(LIGHT_THRESHOLD, 300);
    assert!(led_should_be_on(0));
    assert!(led_should_be_on(299));
    assert!(!led_should_be_on(300));
    assert!(!led_should_be_on(301));
    assert!(!led_should_be_on(LIGHT_MAX));
    assert_eq!(Command::for_light(299), Command { led_on: true });
    assert_eq!(Command::for_light(300), Command { led_on: false });
}

#[test]
fn adc_scaling_maps_both_ends_to_both_ends() {
    assert_eq!(adc_to_light(0), 0);
    assert_eq!(adc_to_light(ADC_MAX), LIGHT_MAX);
    assert_eq!(adc_to_light(ADC_MAX + 1), LIGHT_MAX);
    assert_eq!(adc_to_light(u16::MAX), LIGHT_MAX);
}

#[test]
fn adc_scaling_gives_each_light_level_four_codes() {
    assert_eq!(adc_to_light(3), 0);
    assert_eq!(adc_to_light(4), 1);
    assert_eq!(adc_to_light(1199), 299);
    assert_eq!(adc_to_light(1200), 300);
    let mut previous = 0;
    for raw in 0..=ADC_MAX {
        let light = adc_to_light(raw);
        assert!(
            light == previous || light == previous + 1,
            "monotonic, no gaps at {raw}"
        );
        assert_eq!(light, raw / 4);
        previous = light;
    }
}

#[test]
fn simulated_curve_is_a_triangle_from_midnight_to_noon_and_back() {
    assert_eq!(simulated_light(0, 120), 0);
    assert_eq!(simulated_light(30, 120), 511);
    assert_eq!(simulated_light(60, 120), LIGHT_MAX);
    assert_eq!(simulated_light(90, 120), 511);
    assert_eq!(simulated_light(120, 120), 0);
    assert_eq!(simulated_light(180, 120), LIGHT_MAX, "repeats every period");
    for t in 0..120 {
        assert!(simulated_light(t, 120) <= LIGHT_MAX);
        assert_eq!(
            simulated_light(t, 120),
            simulated_light(120 - t, 120),
            "symmetric at {t}"
        );
    }
}

#[test]
fn simulated_curve_crosses_the_threshold_both_ways_each_period() {
    let period = 60;
    let (mut dusks, mut dawns) = (0, 0);
    let mut led = led_should_be_on(simulated_light(0, period));
    assert!(led, "starts at midnight with the LED on");
    for t in 1..=3 * period {
        let now = led_should_be_on(simulated_light(t, period));
        match (led, now) {
            (true, false) => dawns += 1,
            (false, true) => dusks += 1,
            _ => {}
        }
        led = now;
    }
    assert_eq!((dawns, dusks), (3, 3));
}

#[test]
fn simulated_curve_handles_degenerate_periods_and_large_times() {
    assert_eq!(simulated_light(5, 0), 0);
    assert_eq!(simulated_light(5, 1), 0);
    assert_eq!(simulated_light(1, 2), LIGHT_MAX);
    assert_eq!(simulated_light(u32::MAX, u32::MAX), 0);
    assert!(simulated_light(u32::MAX, 86_400) <= LIGHT_MAX);
}

#[test]
fn typed_levels_are_parsed_and_checked() {
    assert_eq!(parse_level("0"), Ok(0));
    assert_eq!(parse_level("299\n"), Ok(299));
    assert_eq!(parse_level("  1023  "), Ok(1023));
    assert_eq!(parse_level("+12"), Ok(12));
    assert_eq!(parse_level("1024"), Err(ParseLevelError::OutOfRange));
    assert_eq!(parse_level("-1"), Err(ParseLevelError::OutOfRange));
    assert_eq!(
        parse_level("99999999999999"),
        Err(ParseLevelError::OutOfRange)
    );
    assert_eq!(
        parse_level("-99999999999999"),
        Err(ParseLevelError::OutOfRange)
    );
    assert_eq!(parse_level("12.5"), Err(ParseLevelError::NotANumber));
    assert_eq!(parse_level("dark"), Err(ParseLevelError::NotANumber));
    assert_eq!(parse_level("1 2"), Err(ParseLevelError::NotANumber));
    assert_eq!(parse_level(""), Err(ParseLevelError::Empty));
    assert_eq!(parse_level(" \t\n"), Err(ParseLevelError::Empty));
    assert_eq!(
        ParseLevelError::OutOfRange.to_string(),
        "the light level must be between 0 and 1023"
    );
}

#[test]
fn nightlight_starts_with_the_led_off() {
    assert!(!Nightlight::new().led_on());
    assert_eq!(Nightlight::default(), Nightlight::new());
}

#[test]
fn valid_commands_switch_the_led_and_report_changes() {
    let mut nightlight = Nightlight::new();
    assert_eq!(
        nightlight.handle(Ok(Command { led_on: false })),
        Reaction::Led {
            on: false,
            changed: false
        }
    );
    assert_eq!(
        nightlight.handle(Ok(Command { led_on: true })),
        Reaction::Led {
            on: true,
            changed: true
        }
    );
    assert!(nightlight.led_on());
    assert_eq!(
        nightlight.handle_payload(br#"{"led_on":true}"#),
        Reaction::Led {
            on: true,
            changed: false
        }
    );
    assert_eq!(
        nightlight.handle_payload(br#"{"led_on":false}"#),
        Reaction::Led {
            on: false,
            changed: true
        }
    );
    assert!(!nightlight.led_on());
}

#[test]
fn decode_error_is_ignored_and_keeps_the_led() {
    let mut nightlight = Nightlight::new();
    nightlight.handle(Ok(Command { led_on: true }));
    assert_eq!(
        nightlight.handle(Err(DecodeError::Malformed)),
        Reaction::Ignored(DecodeError::Malformed)
    );
    assert!(nightlight.led_on());
}
