/* The ESP-IDF port's redirect targets: a Location made absolute against the
 * URL that answered it, as servers send them (python's http.server and the
 * fault server send "/path"; nginx sends absolute URLs). The resolver is
 * plain C, so it is checked here although the port is built only by ESP-IDF. */
#include <string.h>

#include "helpers.h"
#include "idf_location.h"
#include "ota/error.h"

static void expect(const char *base, const char *location, const char *want)
{
    char out[256];
    assert_int_equal(idf_resolve_location(base, location, out, sizeof(out)), OTA_OK);
    assert_string_equal(out, want);
}

static void absolute_locations_are_kept(void **state)
{
    (void)state;
    expect("http://a:8080/x/y.bin", "https://b.example/z.bin", "https://b.example/z.bin");
    /* another scheme stays what it is: the caller's policy refuses it */
    expect("http://a/x.bin", "file://sdcard/flash_tone.bin", "file://sdcard/flash_tone.bin");
}

static void relative_locations_join_the_base(void **state)
{
    (void)state;
    expect("http://127.0.0.1:8070/redirect/3/app.bin", "/redirect/2/app.bin",
           "http://127.0.0.1:8070/redirect/2/app.bin");
    expect("https://h/a/b/c.bin?v=1", "//cdn.example/c.bin", "https://cdn.example/c.bin");
    expect("http://h/a/b/c.bin?v=1", "d.bin", "http://h/a/b/d.bin");
    expect("http://h/a/b/?q=/x", "d.bin", "http://h/a/b/d.bin");
    expect("http://h:81", "d.bin", "http://h:81/d.bin");
    expect("http://h:81?x", "/d.bin", "http://h:81/d.bin");
}

static void bad_input_is_refused(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(idf_resolve_location("http://h/a.bin", "", out, sizeof(out)), OTA_ERR_URI);
    assert_int_equal(idf_resolve_location("h/a.bin", "/b.bin", out, sizeof(out)), OTA_ERR_URI);
    /* too long for out: refused, never cut into another URL */
    assert_int_equal(idf_resolve_location("http://h/a.bin", "/a-very-long-path/that/does/not/fit.bin", out,
                                          sizeof(out)),
                     OTA_ERR_URI);
    assert_int_equal(idf_resolve_location("http://h/a.bin", "http://another-long-host.example/x.bin", out,
                                          sizeof(out)),
                     OTA_ERR_URI);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(absolute_locations_are_kept),
        cmocka_unit_test(relative_locations_join_the_base),
        cmocka_unit_test(bad_input_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
