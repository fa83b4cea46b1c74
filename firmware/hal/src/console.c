/*
 * picolibc stdio on the imcvp UART, and _exit through sim-control.
 *
 * picolibc's tinystdio leaves stdin/stdout/stderr to the platform: they are
 * defined here. Output is unbuffered (one UART store per character), so
 * nothing is left to flush when exit() reaches _exit().
 */
#include <stdio.h>
#include <unistd.h>

#include "imcvp/hal.h"

static int imcvp_console_put(char c, FILE *file)
{
    (void)file;
    imcvp_uart_putc(c);
    return (unsigned char)c;
}

static int imcvp_console_get(FILE *file)
{
    (void)file;
    return _FDEV_EOF; /* the UART has no receiver */
}

static int imcvp_console_flush(FILE *file)
{
    (void)file;
    return 0; /* unbuffered: every character is already out */
}

static FILE imcvp_console_out =
    FDEV_SETUP_STREAM(imcvp_console_put, NULL, imcvp_console_flush, _FDEV_SETUP_WRITE);
static FILE imcvp_console_in = FDEV_SETUP_STREAM(NULL, imcvp_console_get, NULL, _FDEV_SETUP_READ);

FILE *const stdout = &imcvp_console_out;
FILE *const stderr = &imcvp_console_out;
FILE *const stdin = &imcvp_console_in;

/* exit() runs atexit handlers and destructors, then calls this. */
void _exit(int code)
{
    imcvp_sim_exit(code);
}
